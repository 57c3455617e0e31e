namespace TextGen.Fuzzing;

/// <summary>A finding: the parser accepted something that broke what came after, without an exception of its own.</summary>
public sealed class FuzzFinding(string message) : Exception(message);
