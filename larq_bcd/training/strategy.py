"""``tf.distribute`` strategies by name: default, mirrored, multiworker, tpu."""

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def get_strategy(name="default"):
    """The strategy ``name``; ``multiworker`` reads the cluster from ``TF_CONFIG``."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"`strategy` must be one of {STRATEGIES}, got {name!r}.")
