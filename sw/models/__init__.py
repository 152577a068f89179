"""Models into the flow: pretrained encoders loaded from Hugging Face folders, their float
reference, quantization for the cluster and accuracy measurement."""
