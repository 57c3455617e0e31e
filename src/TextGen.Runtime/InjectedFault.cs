namespace TextGen;

/// <summary>
/// Faults injected on purpose, to test the last line of defence at each entry point: <c>TEXTGEN_INJECT_FAULT=PLACE</c>
/// makes <see cref="At"/> throw there (places: a command such as <c>train</c> or <c>forecast predict</c>, <c>thread</c>,
/// <c>serve request</c>, <c>serve stream</c> (after a streamed completion's first event), <c>training loop</c>). Read
/// on every call, so a test can switch it within one process.
/// </summary>
public static class InjectedFault
{
    public const string Variable = "TEXTGEN_INJECT_FAULT";

    // Never inlined: a report's trace names this frame, however hot the loop that calls it has become.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void At(string place)
    {
        if (Environment.GetEnvironmentVariable(Variable) == place)
        {
            throw new InvalidOperationException($"a fault injected at '{place}' ({Variable})");
        }
    }

    /// <summary>Whether a fault is asked for at PLACE.</summary>
    public static bool IsAskedFor(string place) => Environment.GetEnvironmentVariable(Variable) == place;
}
