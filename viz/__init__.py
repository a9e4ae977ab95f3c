"""Graph drawings of any glassgrad graph."""
