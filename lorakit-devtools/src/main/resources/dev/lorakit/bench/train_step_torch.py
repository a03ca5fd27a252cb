# Times LoRA training steps of the train-step benchmark's model on CPU torch: the same shape, LoRA (r, alpha 2r, no
# dropout, all seven projections), AdamW over the LoRA parameters, float32, random token ids with labels = ids
# (shifted inside the loss), WARMUP untimed steps then STEPS timed ones.
# The model is Hugging Face transformers' LlamaForCausalLM (SDPA attention) with PEFT's LoRA when both import; with
# transformers alone, the same model with LoRA through LoraLinear below, which is PEFT's lora.Linear forward; without
# transformers, a plain-PyTorch copy of that model's eager forward (below), so that the reference runs wherever torch
# does.
# Usage: python3 - HIDDEN INTERMEDIATE LAYERS HEADS VOCAB RANK BATCH SEQ THREADS WARMUP STEPS
# Prints on stderr each step's loss and time, on stdout one line:
#   median_step_seconds best_step_seconds median_cpu_seconds reference_name (the name with '_' for spaces)
# where the CPU seconds of a step are those of all the process's threads (time.process_time).
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def hugging_face_model(hidden, intermediate, layers, heads, vocab, rank):
    """LlamaForCausalLM with LoRA: PEFT's when it imports, else the LoraLinear below in PEFT's place; None without
    transformers."""
    try:
        import transformers
    except ImportError:
        return None
    try:
        import peft
    except ImportError:
        peft = None
    config = transformers.LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate,
                                      num_hidden_layers=layers, num_attention_heads=heads,
                                      num_key_value_heads=heads, max_position_embeddings=4096,
                                      rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=False)
    # float32: torch's default dtype, which _from_config keeps (its dtype argument is named differently across
    # transformers versions).
    model = transformers.LlamaForCausalLM._from_config(config, attn_implementation="sdpa")
    if peft is not None:
        lora = peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=TARGETS)
        model = peft.get_peft_model(model, lora)
        name = "transformers %s + PEFT %s on torch %s" % (transformers.__version__, peft.__version__,
                                                          torch.__version__)
    else:
        # What get_peft_model does to these modules: freeze everything, wrap each target Linear.
        model.requires_grad_(False)
        targets = [(parent, child_name, child) for parent in model.modules()
                   for child_name, child in parent.named_children()
                   if child_name in TARGETS and isinstance(child, nn.Linear)]
        for parent, child_name, child in targets:
            setattr(parent, child_name, LoraLinear(child, rank, 2 * rank))
        name = ("transformers %s on torch %s, LoRA as PEFT's lora.Linear (PEFT not installed)"
                % (transformers.__version__, torch.__version__))
    return name, lambda ids: model(input_ids=ids, labels=ids).loss, model


# The plain-PyTorch model: transformers' LlamaForCausalLM forward with attn_implementation="eager" (modeling_llama.py,
# transformers 5.x), op for op, and PEFT's LoRA Linear with dropout 0. Same parameters, same initialisation
# (normal(0, 0.02) for the linears and the embedding, ones for the norms; PEFT: kaiming-uniform A, zero B).

class LoraLinear(nn.Module):
    """PEFT's lora.Linear: a frozen base nn.Linear plus lora_B(lora_A(x)) * alpha / r (dropout 0 = identity)."""

    def __init__(self, base_layer, rank, alpha):
        super().__init__()
        self.base_layer = base_layer
        self.base_layer.weight.requires_grad_(False)
        self.lora_A = nn.Linear(base_layer.in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, base_layer.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


def linear(fan_in, fan_out):
    """A bias-free nn.Linear initialised as transformers initialises LLaMA's: normal(0, 0.02)."""
    layer = nn.Linear(fan_in, fan_out, bias=False)
    nn.init.normal_(layer.weight, std=0.02)
    return layer


class RMSNorm(nn.Module):
    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.weight.requires_grad_(False)
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, hidden, heads, rank, alpha):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.scaling = self.head_dim ** -0.5
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            setattr(self, name, LoraLinear(linear(hidden, hidden), rank, alpha))

    def forward(self, x, cos, sin, mask):
        shape = (x.shape[0], x.shape[1], self.heads, self.head_dim)
        q = self.q_proj(x).view(shape).transpose(1, 2)
        k = self.k_proj(x).view(shape).transpose(1, 2)
        v = self.v_proj(x).view(shape).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = (q * cos) + (rotate_half(q) * sin)
        k = (k * cos) + (rotate_half(k) * sin)
        weights = torch.matmul(q, k.transpose(2, 3)) * self.scaling
        weights = weights + mask
        weights = F.softmax(weights, dim=-1, dtype=torch.float32).to(q.dtype)
        weights = F.dropout(weights, p=0.0, training=self.training)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous()
        return self.o_proj(out.reshape(x.shape[0], x.shape[1], -1))


class Mlp(nn.Module):
    def __init__(self, hidden, intermediate, rank, alpha):
        super().__init__()
        self.gate_proj = LoraLinear(linear(hidden, intermediate), rank, alpha)
        self.up_proj = LoraLinear(linear(hidden, intermediate), rank, alpha)
        self.down_proj = LoraLinear(linear(intermediate, hidden), rank, alpha)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, hidden, intermediate, heads, rank, alpha):
        super().__init__()
        self.self_attn = Attention(hidden, heads, rank, alpha)
        self.mlp = Mlp(hidden, intermediate, rank, alpha)
        self.input_layernorm = RMSNorm(hidden, 1e-5)
        self.post_attention_layernorm = RMSNorm(hidden, 1e-5)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class PlainLlama(nn.Module):
    def __init__(self, hidden, intermediate, layers, heads, vocab, rank):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, hidden)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.embed_tokens.weight.requires_grad_(False)
        self.layers = nn.ModuleList(DecoderLayer(hidden, intermediate, heads, rank, 2 * rank) for _ in range(layers))
        self.norm = RMSNorm(hidden, 1e-5)
        self.lm_head = linear(hidden, vocab)
        self.lm_head.weight.requires_grad_(False)
        head_dim = hidden // heads
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.int64)
                                                            .float() / head_dim)), persistent=False)

    def forward(self, ids):
        batch, seq = ids.shape
        x = self.embed_tokens(ids)
        positions = torch.arange(seq).unsqueeze(0)
        freqs = (self.inv_freq[None, :, None].float().expand(1, -1, 1) @ positions[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = torch.full((seq, seq), torch.finfo(x.dtype).min).triu(1)[None, None].expand(batch, 1, seq, seq)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        logits = self.lm_head(self.norm(x))
        # transformers' ForCausalLMLoss: labels padded with -100 and shifted left, mean over the labelled positions.
        labels = F.pad(ids, (0, 1), value=-100)[..., 1:].contiguous()
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100)


def plain_model(hidden, intermediate, layers, heads, vocab, rank):
    model = PlainLlama(hidden, intermediate, layers, heads, vocab, rank)
    name = "plain PyTorch %s (transformers not installed)" % torch.__version__
    return name, model, model


def main():
    hidden, intermediate, layers, heads, vocab, rank, batch, seq, threads, warmup, steps = (
        int(x) for x in sys.argv[1:12])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    built = hugging_face_model(hidden, intermediate, layers, heads, vocab, rank)
    name, loss_of, model = built or plain_model(hidden, intermediate, layers, heads, vocab, rank)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    print("%s: %d parameters, %d trainable" % (name, sum(p.numel() for p in model.parameters()),
                                                sum(p.numel() for p in trainable)), file=sys.stderr)
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    ids = torch.randint(0, vocab, (batch, seq))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(ids)
        loss.backward()
        optimizer.step()
        return loss.item()

    for s in range(warmup):
        t0 = time.perf_counter()
        loss = step()
        print("torch warm-up step %d: loss %.4f, %.3f s" % (s + 1, loss, time.perf_counter() - t0), file=sys.stderr)
    times, cpu = [], []
    for s in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        print("torch step %d: loss %.4f, %.3f s (%.3f CPU s)" % (s + 1, loss, times[-1], cpu[-1]), file=sys.stderr)
    print(median(times), min(times), median(cpu), name.replace(" ", "_"))


def median(xs):
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


if __name__ == "__main__":
    main()
