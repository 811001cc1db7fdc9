"""Convolutions and pooling (Course 4): the notes' loops, the readable im2col and the fast path."""
