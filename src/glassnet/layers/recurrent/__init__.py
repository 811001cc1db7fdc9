"""Recurrent layers (Course 5 week 1): cells, sequence layers, bidirectional wrapper and
the course's step-by-step functions.

* :mod:`.cells`: one time step of the RNN, GRU and LSTM cells, forward and backward;
* :mod:`.sequence`: :class:`SimpleRNN`, :class:`GRU`, :class:`LSTM` (loop over time, BPTT);
* :mod:`.bidirectional`: :class:`Bidirectional`;
* :mod:`.reference`: the notebook's ``rnn_cell_forward``, ``lstm_backward``, ...
"""

from glassnet.layers.recurrent.sequence import GRU, LSTM, Recurrent, SimpleRNN

__all__ = ["GRU", "LSTM", "Recurrent", "SimpleRNN"]
