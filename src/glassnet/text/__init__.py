"""Text (Course 5): vocabularies, sampling, word vectors, beam search, BLEU."""
