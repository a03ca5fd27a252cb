# Times LoRA training steps of the train-step benchmark's model through Hugging Face transformers + PEFT on CPU
# torch: the same shape, LoRA (r, alpha 2r, no dropout, all seven projections), AdamW, SDPA attention, float32,
# random token ids with labels = ids (transformers shifts them), WARMUP untimed steps then STEPS timed ones.
# Usage: python3 - HIDDEN INTERMEDIATE LAYERS HEADS VOCAB RANK BATCH SEQ THREADS WARMUP STEPS
# Prints: median_step_seconds best_step_seconds versions
import sys
import time

import torch
import transformers
import peft

hidden, intermediate, layers, heads, vocab, rank, batch, seq, threads, warmup, steps = (int(x) for x in sys.argv[1:12])
torch.set_num_threads(threads)
torch.manual_seed(42)
config = transformers.LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate,
                                  num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                                  max_position_embeddings=4096, rope_theta=10000.0, rms_norm_eps=1e-5,
                                  tie_word_embeddings=False)
model = transformers.LlamaForCausalLM._from_config(config, attn_implementation="sdpa", torch_dtype=torch.float32)
lora = peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0,
                       target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
model = peft.get_peft_model(model, lora)
model.train()
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
ids = torch.randint(0, vocab, (batch, seq))


def step():
    optimizer.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    optimizer.step()


for _ in range(warmup):
    step()
times = []
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
times.sort()
mid = len(times) // 2
median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
versions = "torch %s, transformers %s, peft %s" % (torch.__version__, transformers.__version__, peft.__version__)
print(median, times[0], versions.replace(" ", "_"))
