"""Datasets and input pipelines: loaders, the course's datasets, preprocessing, augmentation.

Loaders return examples first (:class:`Dataset`: ``x`` ``(m, ...)``, ``y`` ``(m,)``);
:mod:`~glassnet.data.preprocessing` turns them into the course's column layout
(``X`` ``(n_x, m)``, ``Y`` ``(1, m)``).
"""

from glassnet.data.augmentation import (
    Augmenter,
    color_shift,
    gaussian_noise,
    horizontal_flip,
    random_crop,
)
from glassnet.data.datasets import (
    DATA_ENV,
    circles,
    digits,
    moons,
    planar_flower,
    regularization_data,
    shared_data_path,
)
from glassnet.data.formats import load_csv, load_h5, load_image_folder, load_mat, load_npz
from glassnet.data.idx import load_idx, load_mnist
from glassnet.data.image_folder import read_image
from glassnet.data.loaders import dataset_format, load_dataset, load_train_test
from glassnet.data.preprocessing import (
    Standardizer,
    encode_labels,
    flatten_images,
    labels_to_row,
    normalize_rows,
    one_hot,
    scale_pixels,
    to_columns,
    train_dev_test_split,
)
from glassnet.data.records import IMAGE_EXTENSIONS, DataError, Dataset

__all__ = [
    "Augmenter",
    "DATA_ENV",
    "DataError",
    "Dataset",
    "IMAGE_EXTENSIONS",
    "Standardizer",
    "circles",
    "color_shift",
    "dataset_format",
    "digits",
    "encode_labels",
    "flatten_images",
    "gaussian_noise",
    "horizontal_flip",
    "labels_to_row",
    "load_csv",
    "load_dataset",
    "load_h5",
    "load_idx",
    "load_image_folder",
    "load_mat",
    "load_mnist",
    "load_npz",
    "load_train_test",
    "moons",
    "normalize_rows",
    "one_hot",
    "planar_flower",
    "random_crop",
    "read_image",
    "regularization_data",
    "scale_pixels",
    "shared_data_path",
    "to_columns",
    "train_dev_test_split",
]
