"""Knowledge distillation from a real-valued teacher, with BCDNet's DeiT-style dual head."""

import tensorflow as tf


def distillation_loss(teacher_logits, student_logits, temperature=1.0):
    r"""Soft cross-entropy from the teacher at temperature \(T\) (ReActNet's distribution loss):

    \[ \mathcal{L}_{KD} = -T^2 \sum_c \mathrm{softmax}(z_t / T)_c \log \mathrm{softmax}(z_s / T)_c \]
    averaged over the batch.
    """
    t = tf.nn.softmax(tf.cast(teacher_logits, tf.float32) / temperature)
    log_s = tf.nn.log_softmax(tf.cast(student_logits, tf.float32) / temperature)
    return -(temperature**2) * tf.reduce_mean(tf.reduce_sum(t * log_s, axis=-1))


class Distiller(tf.keras.Model):
    r"""Trains ``student`` against labels and a frozen ``teacher`` (both output logits).

    - Single-head student: \(\mathcal{L} = (1 - a)\,\mathrm{CE}_{ls}(y, z_s) + a\,\mathcal{L}_{KD}\);
      ``alpha=1`` is ReActNet's KD-only loss.
    - Dual-head student (BCDNet's ``fc``, ``fc_dist``):
      \(\mathcal{L} = \tfrac12 \mathrm{CE}_{ls}(y, z_{fc}) + \tfrac12 \mathcal{L}_{KD}(z_t, z_{fc\_dist})\).

    Predictions (``call``, ``evaluate``) are the student's logits, averaged over two heads.
    Without a teacher it trains on labels only (dual heads both on labels). The teacher is
    not tracked: ``weights`` and checkpoints hold the student only. ``l2`` adds
    \(\tfrac{l_2}{2}\sum_w \|w\|^2\) over every trainable weight: the coupled weight decay of
    PyTorch's SGD (ReCU's recipe).

    ``train_step`` and ``test_step`` are traced as plain Python, without AutoGraph: nothing
    in them or in the layers branches on a tensor, AutoGraph's conversion of every layer
    call was most of the time a first step took, and a long run never re-reads edited
    source files when it first evaluates.
    """

    def __init__(self, student, teacher=None, *, temperature=1.0, alpha=1.0, label_smoothing=0.1, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l2 = float(l2)
        self.student = student
        # Not tracked: the frozen teacher is loaded from its own file, so it stays out of
        # the Distiller's weights and out of every BackupAndRestore checkpoint of the run.
        self._self_setattr_tracking = False
        self.teacher = teacher
        self._self_setattr_tracking = True
        if teacher is not None:
            teacher.trainable = False
        self.temperature = temperature
        self.alpha = alpha
        self.label_loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=label_smoothing)
        self.loss_tracker = tf.keras.metrics.Mean(name="loss")
        self.accuracy = tf.keras.metrics.CategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy]

    @staticmethod
    def _merge(outputs):
        if isinstance(outputs, (list, tuple)):
            return tf.add_n([tf.cast(o, tf.float32) for o in outputs]) / len(outputs)
        return tf.cast(outputs, tf.float32)

    def call(self, inputs, training=False):
        return self._merge(self.student(inputs, training=training))

    def student_loss(self, y, outputs, teacher_logits):
        """The loss of the student's ``outputs``: label CE without a teacher; with one,
        ``(1 - alpha) CE + alpha KD``, or for a dual head ``(CE(fc) + KD(fc_dist)) / 2``."""
        dual = isinstance(outputs, (list, tuple))
        if teacher_logits is None:
            heads = outputs if dual else [outputs]
            return tf.add_n([self.label_loss(y, tf.cast(h, tf.float32)) for h in heads]) / len(heads)
        if dual:
            fc, fc_dist = outputs
            return 0.5 * self.label_loss(y, tf.cast(fc, tf.float32)) + 0.5 * distillation_loss(
                teacher_logits, fc_dist, self.temperature
            )
        kd = distillation_loss(teacher_logits, outputs, self.temperature)
        if self.alpha >= 1.0:
            return kd
        return (1 - self.alpha) * self.label_loss(y, tf.cast(outputs, tf.float32)) + self.alpha * kd

    @tf.autograph.experimental.do_not_convert
    def train_step(self, data):
        x, y = data
        teacher_logits = None if self.teacher is None else self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            outputs = self.student(x, training=True)
            loss = self.student_loss(y, outputs, teacher_logits)
            if self.student.losses:
                loss += tf.add_n(self.student.losses)
            if self.l2:
                loss += (
                    0.5
                    * self.l2
                    * tf.add_n(
                        [tf.reduce_sum(tf.square(tf.cast(v, tf.float32))) for v in self.student.trainable_variables]
                    )
                )
            scaled = self.optimizer.get_scaled_loss(loss) if hasattr(self.optimizer, "get_scaled_loss") else loss
        grads = tape.gradient(scaled, self.student.trainable_variables)
        if hasattr(self.optimizer, "get_unscaled_gradients"):
            grads = self.optimizer.get_unscaled_gradients(grads)
        self.optimizer.apply_gradients(zip(grads, self.student.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.accuracy.update_state(y, self._merge(outputs))
        return {m.name: m.result() for m in self.metrics}

    @tf.autograph.experimental.do_not_convert
    def test_step(self, data):
        x, y = data
        outputs = self.student(x, training=False)
        teacher_logits = None if self.teacher is None else self.teacher(x, training=False)
        self.loss_tracker.update_state(self.student_loss(y, outputs, teacher_logits))
        self.accuracy.update_state(y, self._merge(outputs))
        return {m.name: m.result() for m in self.metrics}
