"""What the model reports each year: county metrics, teacher metrics and the standards hook."""
