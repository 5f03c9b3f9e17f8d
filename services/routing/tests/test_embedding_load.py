"""How the sentence encoder is loaded: the weights read a slice at a time, and handed to
ONNX Runtime as arrays rather than inside the serialized graph. The memory this saves
is measured by bench/e2e (routing's peak RSS), not here."""

import numpy as np
import onnxruntime as ort
import pytest
from baton_routing.classifier.embedding import Encoder, Weights, bert_graph, model_dir
from onnx import ModelProto, TensorProto, numpy_helper
from safetensors import safe_open

FILE = model_dir() / "model.safetensors"
TEXTS = [
    "I was charged twice for my order",
    "Ich kann mich nicht einloggen, das Passwort wird abgelehnt",
    "",
]


def test_weights_read_each_tensor_and_each_slice_as_the_safetensors_package_does():
    w = Weights(FILE)
    with safe_open(str(FILE), framework="numpy") as f:
        names = list(f.keys())
        assert len(names) > 100
        for name in names:
            expected = f.get_tensor(name).astype(np.float32)
            got = w[name.removeprefix("bert.")]
            assert got.dtype == np.float32 and got.shape == expected.shape, name
            assert np.array_equal(got, expected), name
        table = f.get_tensor("embeddings.word_embeddings.weight")
    rows = w.rows("embeddings.word_embeddings.weight", 30_000, 31_000)  # past the end
    assert np.array_equal(rows, table[30_000:])
    assert w.shape("embeddings.word_embeddings.weight") == table.shape


def test_the_graph_carries_shapes_and_scalars_and_hands_every_weight_over():
    model = bert_graph(Weights(FILE))
    handed = sum(a.nbytes for a in model.weights.values())
    assert handed > 20_000_000  # the int8 model: about 23 MB
    assert len(model.graph) < 1_000_000  # the graph alone, without them
    proto = ModelProto.FromString(model.graph)
    external = {t.name for t in proto.graph.initializer if t.data_location == TensorProto.EXTERNAL}
    assert external == set(model.weights)
    assert model.weights["words.q"].dtype == np.int8


@pytest.mark.parametrize("int8", [True, False])
def test_the_encoder_gives_the_vectors_of_the_same_graph_with_its_weights_inside(int8):
    model = bert_graph(Weights(FILE), int8=int8)
    proto = ModelProto.FromString(model.graph)
    for tensor in proto.graph.initializer:
        if tensor.name in model.weights:
            tensor.CopyFrom(numpy_helper.from_array(model.weights[tensor.name], tensor.name))
    inline = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    encoder = Encoder(int8=int8)
    for text in TEXTS:
        ids = np.array([encoder.tokenizer.encode(text).ids], dtype=np.int64)
        pos = np.arange(ids.shape[1], dtype=np.int64)[None]
        vector = inline.run(None, {"ids": ids, "pos": pos})[0][0]
        expected = vector / max(float(np.linalg.norm(vector)), 1e-9)
        assert np.allclose(encoder.encode(text), expected, atol=1e-6), text
