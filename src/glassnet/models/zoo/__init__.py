"""The classic ConvNets of Course 4 (weeks 1-2), as lists of layers.

Each function takes ``input_shape`` (n_H, n_W, n_C), ``classes`` and a size knob, and
returns the layers for :class:`glassnet.models.Sequential`.  At their standard inputs the
parameter counts are the published ones:

===============  =============  =======  ==================================
network          input          classes  parameters
===============  =============  =======  ==================================
LeNet-5          32 x 32 x 1    10       61,706 ("about 60 thousand")
AlexNet          227 x 227 x 3  1000     62,378,344 ("about 60 million")
VGG-16           224 x 224 x 3  1000     138,357,544
ResNet-50        224 x 224 x 3  1000     25,557,032 (with batch norm)
MobileNet v1     224 x 224 x 3  1000     4,231,976 (with batch norm)
MobileNet v2     224 x 224 x 3  1000     3,504,872 (with batch norm)
===============  =============  =======  ==================================

(batch-norm running averages are state, not parameters).  The same functions build
small versions for a laptop CPU through ``width`` (or ``alpha``) and small inputs; pools
that would not fit a small input switch to "same" padding.

:func:`count_parameters` counts a list of layers at an input shape without allocating
the weights (VGG-16's 138 million included).

Modules: :mod:`~.classic` (LeNet-5, AlexNet, VGG-16), :mod:`~.residual` (ResNet-50),
:mod:`~.mobile` (MobileNet v1, v2), :mod:`~.small` (laptop-sized nets), :mod:`~.catalog`
(the networks by name), :mod:`~.counting` (parameters counted without allocating).
"""

from glassnet.models.zoo.catalog import STANDARD_INPUTS, ZOO, get_layers
from glassnet.models.zoo.classic import alexnet, lenet5, vgg16
from glassnet.models.zoo.counting import count_parameters, summary_counts
from glassnet.models.zoo.mobile import mobilenet_v1, mobilenet_v2
from glassnet.models.zoo.residual import resnet50
from glassnet.models.zoo.small import small_convnet, small_resnet

__all__ = [
    "STANDARD_INPUTS",
    "ZOO",
    "alexnet",
    "count_parameters",
    "get_layers",
    "lenet5",
    "mobilenet_v1",
    "mobilenet_v2",
    "resnet50",
    "small_convnet",
    "small_resnet",
    "summary_counts",
    "vgg16",
]
