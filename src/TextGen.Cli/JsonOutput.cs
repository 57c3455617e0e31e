using System.Text.Json;

namespace TextGen.Cli;

/// <summary>Writes the one JSON object a command prints with --json.</summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static void Write(TextWriter output, object value) => output.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>JSON has no NaN or infinity; a number that is not finite is written as null.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
