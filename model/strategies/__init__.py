"""Public Hypothesis strategies over model values: start-up cases, scripts, wrapper flags,
package sets.
"""
