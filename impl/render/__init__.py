"""What users read: the trace as prose, prediction against probe, and the layout as a graph.
"""
