"""What users read: the trace as prose (narrate, with a narrator per rule in narrators),
prediction against probe (compare), their text renderings, plain and rich (text), and the
layout as a graph (graph, and footprint: the part of it an answer depended on).
"""
