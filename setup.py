"""legacy_dnn: the classic TF1 MNIST multilayer-perceptron labs on tf.compat.v1."""

import setuptools

setuptools.setup(
    name='legacy_dnn',
    version='0.1.0',
    description=('A faithful TensorFlow 1.x graph/session port of the classic '
                 'MNIST multilayer-perceptron labs, on tf.compat.v1.'),
    # Subpackages too (legacy_dnn.tf1, legacy_dnn.v1), in a wheel as well as
    # an editable install.
    packages=setuptools.find_packages(include=['legacy_dnn', 'legacy_dnn.*']),
    python_requires='>=3.10',
    # The scripts' commands where scripts/ is not: legacy-dnn train, ...
    entry_points={
        'console_scripts': ['legacy-dnn = legacy_dnn.commands:console'],
    },
    install_requires=[
        'tensorflow>=2.16,<2.22',
        # TensorFlow 2.21 no longer depends on it; the `tensorboard` program
        # that shows tf_logs/ comes from here.
        'tensorboard>=2.16,<2.22',
        'absl-py>=1.0',
        'numpy>=1.24',
        # The progress bar inside an epoch, on a terminal.
        'tqdm>=4.60',
        # scripts/evaluate.py --plot and scripts/plot_curves.py.
        'matplotlib>=3.7',
    ],
    extras_require={
        'test': [
            'pytest>=7',
            # Runs the suite on two cores (setup.cfg).
            'pytest-xdist>=3',
            # Only for the test that checks our variable names against the
            # real tf.compat.v1.layers.dense, which needs Keras 2.
            'tf-keras>=2.16,<2.22',
            # Reads docs/kubernetes/'s manifests (tests/test_kubernetes.py).
            'pyyaml>=5.1',
            # A real IPython kernel for `%load_ext legacy_dnn.v1`
            # (tests/test_v1.py).
            'ipykernel>=6',
            'nbclient>=0.7',
            'nbformat>=5',
            # legacy_dnn.train's progress widget in a kernel
            # (tests/test_kernel.py), and the notebooks run with their
            # parameters cell set as a user would (tests/test_notebooks.py).
            'ipywidgets>=8',
            'papermill>=2.4',
            # tf.estimator.inputs.pandas_input_fn (tests/test_tf1_estimator.py).
            'pandas>=1.5',
        ],
        # notebooks/ in JupyterLab, with the progress widget (docs/notebooks.md).
        'notebooks': ['jupyterlab>=4', 'ipywidgets>=8', 'ipykernel>=6'],
        # scripts/benchmark.py's PyTorch contender (Keras 3 comes with
        # TensorFlow). The CPU build the benchmark figures were taken with.
        'bench': ['torch==2.13.0'],
        # LiteRT's Python interpreter, for evaluate.py and predict.py
        # --tflite (export.py converts with TensorFlow's own converter).
        'lite': ['ai-edge-litert>=2.3,<3'],
        # export.py --format=onnx (tf2onnx converts, onnx checks a file from
        # outside) and evaluate.py and predict.py --onnx (onnxruntime).
        'onnx': ['tf2onnx>=1.17', 'onnx>=1.14', 'onnxruntime>=1.17'],
        # Keras 3's other backends, which load our .keras file
        # (tests/test_keras_export.py; docs/serving.md).
        'backends': ['torch==2.13.0', 'jax>=0.4.30'],
    },
)
