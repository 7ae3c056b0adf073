"""Readers of the artifact's file formats, apart from the engine and the rules.

Each one reads bytes or text and returns positions and facts, never loading or executing what it
reads: JSON with positions (jsondoc), composed YAML nodes (yaml_nodes, from the
fast reader yaml_reader or PyYAML via yaml_compose), line/column arithmetic
(positions), model formats by content (model_formats), Keras configs and ONNX external data, and
the pickle family, walked opcode by opcode (pickles).
"""
