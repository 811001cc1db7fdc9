"""The course's assignment functions under their own names and notebook signatures.

One index: each name is re-exported from where it lives in the library (this module holds
no math), with a pointer to its lecture. Where two assignments share a name (``model``),
the assignment's name is the prefix (``dinosaurus_model``). Every later part of the
library adds its week's functions here.

Course 4, week 1 ("Convolution model - Step by Step"), from
:mod:`glassnet.layers.conv.reference`, the notes' loops over examples, positions and
channels (the layers in :mod:`glassnet.layers.conv` are the vectorized versions, and the
tests hold them to these):

* ``zero_pad(X, pad)``: "Padding" (C4W1, "Padding")
* ``conv_single_step(a_slice_prev, W, b)``: one filter on one window (C4W1, "Convolutions
  over volumes")
* ``conv_forward(A_prev, W, b, hparameters)``: "One layer of a convolutional network"
* ``conv_backward(dZ, cache)``: backpropagation of a convolution (C4W1, notebook part 5)
* ``pool_forward(A_prev, hparameters, mode)``, ``pool_backward(dA, cache, mode)``,
  ``create_mask_from_window(x)``, ``distribute_value(dz, shape)``: "Pooling layers"
"""

from __future__ import annotations

from glassnet.layers.conv.reference import (
    conv_backward,
    conv_forward,
    conv_single_step,
    create_mask_from_window,
    distribute_value,
    pool_backward,
    pool_forward,
    zero_pad,
)

__all__ = [
    "conv_backward",
    "conv_forward",
    "conv_single_step",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
    "pool_forward",
    "zero_pad",
]
