"""Text classification (sentiment, genre): embed character or byte ids, read the label from
the state at each text's own last character. Texts differ in length and are padded at the end;
the models are causal, so that state never saw the padding (checked by the tests)."""

from torch import nn

from seqbench.tasks.classifier import Classifier


class TextClassify(Classifier):
    """The Classifier's head, loss and metrics (val/acc, val/f1 macro, test confusion) over
    token embeddings instead of sensor channels."""

    kind = "text_classify"

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Embedding(self.data_info["vocab_size"], embed_dim)
