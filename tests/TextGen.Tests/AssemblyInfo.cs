// libtorch's random generator is global to the process: tests that seed it and then initialise or train models
// must not interleave, or "same seed, same model" stops holding.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
