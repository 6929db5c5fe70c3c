"""legacy_dnn: the classic MNIST MLP labs as a TF1 graph/session program."""

from legacy_dnn import lean_import

lean_import.install()
