"""A small neural-network library in numpy alone: dense layers, activations, losses,
optimisers and a Keras-like ``Sequential`` model, written to be read.

    from network import Sequential, Dense, Flatten
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, "tanh"), Dense(10, "softmax")], seed=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(x_train, y_train, epochs=5, batch_size=128)
"""
from .activations import LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from .callbacks import Callback, EarlyStopping, ExtraValidation, ModelCheckpoint
from .errors import ModelFileError, ParallelTrainingError, TrainingDiverged
from .layers import Activation, Conv2D, Dense, Dropout, Flatten, Layer
from .losses import BinaryCrossEntropy, CategoricalCrossEntropy, MeanAbsoluteError, MeanSquaredError
from .metrics import accuracy, binary_accuracy, categorical_accuracy, confusion_matrix
from .model import Sequential, load_model
from .optimizers import SGD, Adam, AdamW, RMSprop
from .precision import get_dtype, precision
from .schedules import Constant, CosineDecay, ExponentialDecay, StepDecay, WarmUp
from .serialization import read_description

__all__ = [
    "Activation", "Adam", "AdamW", "BinaryCrossEntropy", "Callback", "CategoricalCrossEntropy", "Constant",
    "Conv2D", "CosineDecay", "Dense", "Dropout", "EarlyStopping", "ExponentialDecay", "ExtraValidation", "Flatten", "Layer",
    "LeakyReLU",
    "Linear", "MeanAbsoluteError", "MeanSquaredError", "ModelCheckpoint", "ModelFileError", "ParallelTrainingError", "RMSprop", "ReLU",
    "SGD", "Sequential", "Sigmoid", "Softmax", "StepDecay", "Tanh", "TrainingDiverged", "WarmUp", "accuracy",
    "binary_accuracy", "categorical_accuracy", "confusion_matrix", "get_dtype", "load_model", "precision",
    "read_description",
]
