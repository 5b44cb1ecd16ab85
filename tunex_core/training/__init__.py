"""Training and releasing the emotion model: data sets, the training loop, evaluation, LiteRT export, release."""
