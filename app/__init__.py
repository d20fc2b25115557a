"""The Tk windows of the digit app: the drawing window and the augmentation visualiser."""
