"""Models into the flow: pretrained encoders loaded from Hugging Face folders or imported from
ONNX files, their float reference, quantization for the cluster and accuracy measurement."""
