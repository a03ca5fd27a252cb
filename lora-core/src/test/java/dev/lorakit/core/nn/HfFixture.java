package dev.lorakit.core.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorakit.core.backend.Backend;
import dev.lorakit.core.io.SafeTensorsFile;
import dev.lorakit.core.io.TensorSource;
import dev.lorakit.core.lora.LoraSpec;
import dev.lorakit.core.lora.LoraTarget;
import dev.lorakit.core.lora.LoraWeights;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/** One Hugging Face reference folder from the test resources (see resources/hf/NOTICE.md). */
record HfFixture(String name, Path dir, DecoderConfig config, LoraSpec lora, int batch, int seq) {

    static HfFixture load(String name) throws IOException {
        Path dir;
        try {
            dir = Path.of(HfFixture.class.getResource("/hf/" + name + "/reference.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode c = json.readTree(dir.resolve("base/config.json").toFile());
        JsonNode rope = c.path("rope_parameters");
        double theta = rope.has("rope_theta") ? rope.get("rope_theta").asDouble() : c.path("rope_theta").asDouble(10000);
        int heads = c.get("num_attention_heads").asInt();
        int hidden = c.get("hidden_size").asInt();
        DecoderConfig config = new DecoderConfig(c.get("vocab_size").asInt(), hidden, c.get("intermediate_size").asInt(),
                c.get("num_hidden_layers").asInt(), heads, c.get("num_key_value_heads").asInt(),
                c.has("head_dim") ? c.get("head_dim").asInt() : hidden / heads, theta, c.get("rms_norm_eps").asDouble(),
                c.path("sliding_window").isNumber() ? c.get("sliding_window").asInt() : 0,
                c.path("tie_word_embeddings").asBoolean(false));
        JsonNode a = json.readTree(dir.resolve("adapter_init/adapter_config.json").toFile());
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        a.get("target_modules").forEach(t -> targets.add(LoraTarget.fromModuleName(t.asText())));
        LoraSpec spec = new LoraSpec(a.get("r").asInt(), a.get("lora_alpha").asDouble(), a.get("lora_dropout").asDouble(),
                a.path("use_rslora").asBoolean(false), targets);
        JsonNode ref = json.readTree(dir.resolve("reference.json").toFile());
        return new HfFixture(name, dir, config, spec, ref.get("batch").asInt(), ref.get("seq").asInt());
    }

    DecoderWeights weights(Backend backend) throws IOException {
        try (TensorSource src = SafeTensorsFile.open(dir.resolve("base/model.safetensors"))) {
            return DecoderWeights.load(config, backend, src);
        }
    }

    LoraWeights adapter(Backend backend) throws IOException {
        try (TensorSource src = SafeTensorsFile.open(dir.resolve("adapter_init/adapter_model.safetensors"))) {
            return LoraWeights.load(config, lora, backend, src);
        }
    }

    TensorSource reference() throws IOException {
        return SafeTensorsFile.open(dir.resolve("reference.safetensors"));
    }

    static int[] ints(TensorSource src, String name) throws IOException {
        long[] l = src.longs(name);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }
}
