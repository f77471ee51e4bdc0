"""Where the live pipeline's output goes besides the dashboard (Lab Streaming Layer, ...).

Each output is a step consumer: ``push_step(step)`` (also callable as ``output(step)``) takes
every :class:`~winkmon.pipeline.events.StepResult` the pipeline produces, in order.
"""
