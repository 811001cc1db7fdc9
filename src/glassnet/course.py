"""The course's assignment functions under their own names and notebook signatures.

One index: each name is re-exported from where it lives in the library (this module holds
no math), with a pointer to its lecture. Where two assignments share a name (``model``),
the assignment's name is the prefix (``dinosaurus_model``). Every later part of the
library adds its week's functions here.

Course 1 ("Neural Networks and Deep Learning"):

* ``sigmoid(z)``: sigma(z) = 1 / (1 + e^-z) (C1W2, "Logistic Regression as a Neural Network"),
  from :mod:`glassnet.functions.activations`
* ``initialize_parameters(n_x, n_h, n_y)``, ``initialize_parameters_deep(layer_dims)``: W =
  randn * 0.01, b = 0, seeded 1 and 3 as the notebooks (C1W4, "Building your Deep Neural
  Network: Step by Step", part 3), from :mod:`glassnet.functions.initializers`
* ``linear_forward(A, W, b)``, ``linear_activation_forward(A_prev, W, b, activation)``:
  "Forward and Backward Propagation" (C1W4, notebook part 4), from
  :mod:`glassnet.layers.dense` (the equations a Dense layer runs)
* ``L_model_forward(X, parameters)``: "Forward Propagation in a Deep Network" (C1W4), from
  :mod:`glassnet.models.functional`
* ``compute_cost(AL, Y)``: the logistic cost (C1W2 "Logistic Regression Cost Function";
  C1W4 part 5), from :mod:`glassnet.functions.losses`
* ``linear_backward(dZ, cache)``, ``linear_activation_backward(dA, cache, activation)``:
  backpropagation of one layer (C1W4, notebook part 6), from :mod:`glassnet.layers.dense`
* ``L_model_backward(AL, Y, caches)``: backpropagation through the L layers (C1W4, part
  6.3), from :mod:`glassnet.models.functional`
* ``update_parameters(parameters, grads, learning_rate)``: gradient descent (C1W4, part 6.4),
  from :mod:`glassnet.optim.functional`

Course 2 ("Improving Deep Neural Networks"):

* ``gradient_check(x, theta, epsilon, print_msg)``: the 1-D check of J = theta x (C2W1,
  "Gradient Checking", notebook part 3), :func:`glassnet.gradcheck.gradient_check_1d`
  (the library's ``gradient_check`` checks a model)
* ``gradient_check_n(parameters, gradients, X, Y, epsilon, print_msg)``: the N-dimensional
  check (C2W1, "Gradient Checking Implementation Notes"), from
  :mod:`glassnet.models.functional`
* ``random_mini_batches(X, Y, mini_batch_size, seed)``: "Mini-batch Gradient Descent"
  (C2W2, notebook part 2), from :mod:`glassnet.data.batches` (the Trainer's shuffle)
* ``initialize_velocity(parameters)``, ``update_parameters_with_momentum(parameters, grads,
  v, beta, learning_rate)``: "Gradient Descent with Momentum" (C2W2, part 3)
* ``initialize_adam(parameters)``, ``update_parameters_with_adam(parameters, grads, v, s, t,
  learning_rate, beta1, beta2, epsilon)``: "Adam Optimization Algorithm" (C2W2, part 4);
  both pairs from :mod:`glassnet.optim.functional` (one step of the library's rules)
* ``update_lr(learning_rate0, epoch_num, decay_rate)``, ``schedule_lr_decay(learning_rate0,
  epoch_num, decay_rate, time_interval)``: "Learning Rate Decay" (C2W2, part 7), from
  :mod:`glassnet.optim.schedules`

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

Course 5, week 1 ("Building your Recurrent Neural Network - Step by Step"), from
:mod:`glassnet.layers.recurrent.reference`, on the gate equations the recurrent layers
(:mod:`glassnet.layers.recurrent`) run:

* ``rnn_cell_forward(xt, a_prev, parameters)``, ``rnn_forward(x, a0, parameters)``: "Recurrent
  Neural Network Model" (C5W1, notebook part 1)
* ``lstm_cell_forward(xt, a_prev, c_prev, parameters)``, ``lstm_forward(x, a0, parameters)``:
  "Long Short-Term Memory (LSTM)" (C5W1, part 2)
* ``rnn_cell_backward(da_next, cache)``, ``rnn_backward(da, caches)``: "Backpropagation in
  recurrent neural networks" (C5W1, part 3.1)
* ``lstm_cell_backward(da_next, dc_next, cache)``, ``lstm_backward(da, caches)``: "LSTM
  backward pass" (C5W1, part 3.2)

Course 5, week 1 ("Character level language model - Dinosaurus Island"), from
:mod:`glassnet.text.dinosaurus` (on the same cell functions) and
:mod:`glassnet.text.dinosaurus_model`; the characters are a
:class:`glassnet.text.vocabulary.Vocabulary`:

* ``clip(gradients, maxValue)``: element-wise clip of dWaa, dWax, dWya, db, dby into
  [-maxValue, maxValue] (C5W1 assignment 2, part 2.1, "Clipping the gradients")
* ``sample(parameters, char_to_ix, seed)``: one character at a time from the softmax until
  "\\n" or 50 characters (part 2.2, "Sampling"; the notes' "Sampling novel sequences")
* ``optimize(X, Y, a_prev, parameters, learning_rate)``: forward, BPTT, clip, update on one
  example (part 3.1, "Gradient descent")
* ``dinosaurus_model(data, ix_to_char, char_to_ix, num_iterations, n_a, dino_names,
  vocab_size, verbose)``: the notebook's ``model`` (part 3.2, "Training the model")
"""

from __future__ import annotations

from glassnet.data.batches import random_mini_batches
from glassnet.functions.activations import sigmoid
from glassnet.functions.initializers import initialize_parameters, initialize_parameters_deep
from glassnet.functions.losses import compute_cost
from glassnet.gradcheck import gradient_check_1d as gradient_check
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
from glassnet.layers.dense import (
    linear_activation_backward,
    linear_activation_forward,
    linear_backward,
    linear_forward,
)
from glassnet.layers.recurrent.reference import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)
from glassnet.models.functional import L_model_backward, L_model_forward, gradient_check_n
from glassnet.optim.functional import (
    initialize_adam,
    initialize_velocity,
    update_parameters,
    update_parameters_with_adam,
    update_parameters_with_momentum,
)
from glassnet.optim.schedules import schedule_lr_decay, update_lr
from glassnet.text.dinosaurus import clip, optimize, sample
from glassnet.text.dinosaurus_model import model as dinosaurus_model

__all__ = [
    "sigmoid",
    "initialize_parameters",
    "initialize_parameters_deep",
    "linear_forward",
    "linear_activation_forward",
    "L_model_forward",
    "compute_cost",
    "linear_backward",
    "linear_activation_backward",
    "L_model_backward",
    "update_parameters",
    "gradient_check",
    "gradient_check_n",
    "random_mini_batches",
    "initialize_velocity",
    "update_parameters_with_momentum",
    "initialize_adam",
    "update_parameters_with_adam",
    "update_lr",
    "schedule_lr_decay",
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "conv_backward",
    "pool_forward",
    "pool_backward",
    "create_mask_from_window",
    "distribute_value",
    "rnn_cell_forward",
    "rnn_forward",
    "lstm_cell_forward",
    "lstm_forward",
    "rnn_cell_backward",
    "rnn_backward",
    "lstm_cell_backward",
    "lstm_backward",
    "clip",
    "sample",
    "optimize",
    "dinosaurus_model",
]
