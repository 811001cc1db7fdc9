"""Composite blocks built from layers: residual, inception, MobileNet, compound scaling.

:mod:`~glassnet.layers.blocks.base` holds the block contract (and how U-Net, siamese
networks, encoder-decoders and recurrent cells fit it)."""
