"""legacy_dnn: the classic MNIST MLP labs as a TF1 graph/session program."""
