"""The growth schedule of a progressive GAN: which stage, batch and fade-in ``alpha`` at each step.

Training starts at ``start_resolution`` and doubles up to ``resolution``. The first stage
only stabilizes; every later stage first fades in for ``fade_images`` real images, then
stabilizes for ``stable_images`` (Karras et al. 2018 use 800k each). A stage's steps are
its images divided by its global batch, rounded up. ``alpha`` rises linearly from 0 at a
fade-in's first step to 1 at its end and stays 1 while the stage stabilizes. ``steps``
beyond the schedule's length lengthen the last stage's stabilization.

Example:
    schedule = Schedule(resolution=32, fade_images=6000, stable_images=6000, batch_size=64,
                        stage_batch="4:128,8:128")
    stage, alpha = schedule.at(500)             # the stage and alpha of the step after 500
    schedule.total_steps, [s.resolution for s in schedule.stages]      # ..., [4, 8, 16, 32]
"""
import dataclasses
import math

from tfopt.core.errors import InputError

__all__ = ["Stage", "Schedule", "parse_stage_batch", "schedule_of"]


@dataclasses.dataclass(frozen=True)
class Stage:
    """One growth stage.

    Attributes:
        index: the stage (0 is 4 px).
        resolution: its side in px.
        batch_size: its global batch.
        start: the run's step count when it begins.
        fade_steps: steps of its fade-in (0 for the first stage).
        end: the run's step count when it ends.
    """

    index: int
    resolution: int
    batch_size: int
    start: int
    fade_steps: int
    end: int

    def alpha(self, step):
        """The fade-in ``alpha`` of the step taken after ``step`` steps (1 once faded in)."""
        if not self.fade_steps:
            return 1.0
        return min(1.0, max(0.0, (step - self.start) / self.fade_steps))


def _power_of_two(name, value, lo=4):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or value & (value - 1):
        raise InputError(f"expected {name} to be a power of two >= {lo}; received: {name}={value!r}")


def parse_stage_batch(text, resolutions):
    """``"4:128,8:64"`` -> ``{4: 128, 8: 64}``, checking each px is a stage of ``resolutions``."""
    batches = {}
    for part in str(text or "").split(","):
        if not part.strip():
            continue
        px, _, batch = part.partition(":")
        try:
            px, batch = int(px), int(batch)
        except ValueError:
            raise InputError(f"expected stage_batch as px:batch,... (e.g. 4:128,8:64); received: "
                             f"stage_batch={text!r}") from None
        if px not in resolutions:
            raise InputError(f"expected stage_batch to name stages among {list(resolutions)} px; received: "
                             f"{px} in stage_batch={text!r}")
        if batch < 1 or px in batches:
            raise InputError(f"expected one batch >= 1 per stage in stage_batch; received: stage_batch={text!r}")
        batches[px] = batch
    return batches


class Schedule:
    """The stages of a progressive run and the step at which each starts.

    Args:
        resolution: the final side in px (a power of two >= 4).
        start_resolution: the first stage's side (4 in the paper; ``resolution``: no growth).
        fade_images: real images per fade-in.
        stable_images: real images per stabilization.
        batch_size: the global batch of stages ``stage_batch`` does not name.
        stage_batch: ``"px:batch,..."`` per-stage global batches.
        steps: total steps (0: the schedule's own length; otherwise at least the step at
            which the last stage has faded in).
        replicas: every stage's batch must split evenly over them.

    Raises:
        InputError: a schedule that does not add up (bad resolutions, a stage batch for a
            stage that does not exist, a phase shorter than one batch, too few steps).
    """

    def __init__(self, *, resolution, start_resolution=4, fade_images, stable_images, batch_size, stage_batch="",
                 steps=0, replicas=1):
        _power_of_two("resolution", resolution)
        _power_of_two("start_resolution", start_resolution)
        if start_resolution > resolution:
            raise InputError(f"expected start_resolution <= resolution={resolution}; received: "
                             f"start_resolution={start_resolution}")
        first = int(math.log2(start_resolution)) - 2
        last = int(math.log2(resolution)) - 2
        resolutions = [4 * 2 ** s for s in range(first, last + 1)]
        # A batch for a stage below start_resolution is allowed and unused (e.g. a recipe's).
        batches = parse_stage_batch(stage_batch, [4 * 2 ** s for s in range(last + 1)])
        self.stages, step = [], 0
        for s, px in zip(range(first, last + 1), resolutions):
            batch = batches.get(px, batch_size)
            if batch % replicas:
                raise InputError(f"expected every stage's batch divisible by {replicas} replicas; received: "
                                 f"batch {batch} at {px} px")
            fade = 0 if s == first else self._steps("fade_images", fade_images, batch)
            stable = self._steps("stable_images", stable_images, batch)
            self.stages.append(Stage(s, px, batch, step, fade, step + fade + stable))
            step += fade + stable
        grown = self.stages[-1].start + self.stages[-1].fade_steps
        if steps and steps < max(grown, 1):
            raise InputError(f"expected steps >= {grown} (the step at which {resolution} px has faded in) or 0 "
                             f"for the schedule's {step}; received: steps={steps}")
        if steps:
            self.stages[-1] = dataclasses.replace(self.stages[-1], end=steps)
        self.total_steps = self.stages[-1].end

    @staticmethod
    def _steps(name, images, batch):
        if isinstance(images, bool) or not isinstance(images, int) or images < batch:
            raise InputError(f"expected {name} >= one batch ({batch} images); received: {name}={images!r}")
        return -(-images // batch)

    def stage_at(self, step):
        """The :class:`Stage` of the step taken after ``step`` steps (the last one past the end)."""
        for stage in self.stages:
            if step < stage.end:
                return stage
        return self.stages[-1]

    def at(self, step):
        """``(Stage, alpha)`` of the step taken after ``step`` steps."""
        stage = self.stage_at(step)
        return stage, stage.alpha(step)


def schedule_of(config, *, replicas=1):
    """The :class:`Schedule` of a resolved progressive :class:`~tfopt.gan.config.GANConfig`."""
    t = config.train
    return Schedule(resolution=config.data.image_size, start_resolution=t.start_resolution,
                    fade_images=t.fade_images, stable_images=t.stable_images, batch_size=t.batch_size,
                    stage_batch=t.stage_batch, steps=t.steps, replicas=replicas)
