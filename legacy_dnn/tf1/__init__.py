"""What TensorFlow 1.15 had and TensorFlow 2.16+ with Keras 3 took away,
rebuilt on tf.compat.v1: tf.layers, tf.contrib.layers and arg_scope, and
input_data's MNIST reader.

These modules change no global state, so the library's own networks build
with them (model.py); legacy_dnn.v1 is the face a TF1 script imports, which
also turns TensorFlow 2's behaviour off.
"""
