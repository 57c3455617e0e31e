using System.CommandLine;
using TextGen.Persistence;

namespace TextGen.CommandLine;

/// <summary>Options shared by several commands.</summary>
public static class SharedOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object on stdout instead of text." };

    public static Option<string?> Model() => new("--model", "-m") { Description = "Model file (.tgm). Default: the newest in models/." };

    public static string ResolveModel(string? path) => path ?? ModelDirectory.Newest("models");

    /// <summary>The flag of a setting: "--name", or "-n" for a one-letter name.</summary>
    public static string Flag(string setting) => setting.Length == 1 ? "-" + setting : "--" + setting;

    /// <summary>Whether the parser can convert <paramref name="text"/> to <paramref name="type"/> (it reports a failure itself).</summary>
    internal static bool TryConvert(string text, Type type)
    {
        try
        {
            _ = Convert.ChangeType(text, type, System.Globalization.CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            return false;
        }
    }

    public static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            var parsed = Durations.TryParse(text);
            if (parsed is null)
            {
                result.AddError($"{name} '{text}' is not a duration up to a year; use e.g. 90s, 5m or 1h.");
            }
            return parsed;
        },
    };
}
