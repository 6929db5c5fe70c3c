# A convolutional network of tf.layers objects, the way TF 1.4+ code wrote
# models before Keras took over: the layers are made once in the model's
# constructor and called on two inputs, the training batches (dropout and
# batch statistics on) and the test set (off), sharing their variables.
# Two conv + batch norm + max-pool blocks of 16 and 32 filters, a dense
# layer of 128 with dropout. TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 cnn_classes.py`.
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

tf.set_random_seed(777)
mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

learning_rate = 0.001
training_epochs = 3
batch_size = 100


class ConvNet(object):

    def __init__(self, num_classes=10):
        self.conv1 = tf.layers.Conv2D(16, 3, padding="same", use_bias=False,
                                      name="conv1")
        self.norm1 = tf.layers.BatchNormalization(name="norm1")
        self.conv2 = tf.layers.Conv2D(32, 3, padding="same", use_bias=False,
                                      name="conv2")
        self.norm2 = tf.layers.BatchNormalization(name="norm2")
        self.pool = tf.layers.MaxPooling2D(pool_size=2, strides=2)
        self.flatten = tf.layers.Flatten()
        self.hidden = tf.layers.Dense(128, activation=tf.nn.relu,
                                      name="hidden")
        self.dropout = tf.layers.Dropout(rate=0.4)
        self.logits = tf.layers.Dense(num_classes, name="logits")

    def __call__(self, images, training):
        x = tf.reshape(images, [-1, 28, 28, 1])
        x = self.pool(tf.nn.relu(self.norm1(self.conv1(x),
                                            training=training)))
        x = self.pool(tf.nn.relu(self.norm2(self.conv2(x),
                                            training=training)))
        x = self.dropout(self.hidden(self.flatten(x)), training=training)
        return self.logits(x)

    @property
    def updates(self):
        # The batch norms' moving averages, which a training step runs.
        return self.norm1.updates + self.norm2.updates


X = tf.placeholder(tf.float32, [None, 784])
Y = tf.placeholder(tf.float32, [None, 10])

model = ConvNet()
train_logits = model(X, training=True)
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
    logits=train_logits, labels=Y))
with tf.control_dependencies(model.updates):
    optimizer = tf.train.AdamOptimizer(learning_rate).minimize(cost)

# The same layer objects again: no new variables, the moving averages used.
test_logits = model(X, training=False)
correct_prediction = tf.equal(tf.argmax(test_logits, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

# 10: two kernels, two gammas and betas, two dense kernels and biases.
print("Trainable variables:", len(tf.trainable_variables()))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print("Learning Started!")
    for epoch in range(training_epochs):
        avg_cost = 0
        total_batch = int(mnist.train.num_examples / batch_size)
        for i in range(total_batch):
            batch_xs, batch_ys = mnist.train.next_batch(batch_size)
            c, _ = sess.run([cost, optimizer], feed_dict={X: batch_xs,
                                                         Y: batch_ys})
            avg_cost += c / total_batch
        print("Epoch:", "%04d" % (epoch + 1), "cost =",
              "{:.9f}".format(avg_cost))
    print("Learning Finished!")
    print("Accuracy:", sess.run(accuracy, feed_dict={
        X: mnist.test.images, Y: mnist.test.labels}))
