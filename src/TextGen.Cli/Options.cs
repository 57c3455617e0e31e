using System.CommandLine;
using System.CommandLine.Parsing;
using TextGen.Persistence;

namespace TextGen.Cli;

/// <summary>Options shared by several commands.</summary>
public static class SharedOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object on stdout instead of text." };

    public static Option<int?> Seed() => new("--seed") { Description = "Seed for repeatable results." };

    public static Option<string?> Model() => new("--model", "-m") { Description = "Model file (.tgm). Default: the newest in models/." };

    public static string ResolveModel(string? path) => path ?? ModelDirectory.Newest("models");

    /// <summary>An option whose value must lie in [min, max]; the parse error names the option and the range.</summary>
    public static Option<T> InRange<T>(string name, string description, T defaultValue, T min, T max, string? alias = null) where T : struct, IComparable<T>
    {
        var option = alias is null ? new Option<T>(name) : new Option<T>(name, alias);
        option.Description = description;
        option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !TryConvert<T>(result.Tokens[0].Value))
            {
                return; // the parser reports the value it could not convert
            }
            var value = result.GetValueOrDefault<T>();
            if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
            {
                result.AddError($"{name} {value} is out of range; use {min} to {max}.");
            }
        });
        return option;
    }

    /// <summary>Like <see cref="InRange{T}"/> without a default: null when the user did not give it.</summary>
    public static Option<T?> OptionalInRange<T>(string name, string description, T min, T max) where T : struct, IComparable<T>
    {
        var option = new Option<T?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !TryConvert<T>(result.Tokens[0].Value))
            {
                return;
            }
            if (result.GetValueOrDefault<T?>() is { } value && (value.CompareTo(min) < 0 || value.CompareTo(max) > 0))
            {
                result.AddError($"{name} {value} is out of range; use {min} to {max}.");
            }
        });
        return option;
    }

    private static bool TryConvert<T>(string text)
    {
        try
        {
            _ = Convert.ChangeType(text, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
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
                result.AddError($"{name} '{text}' is not a duration; use e.g. 90s, 5m or 1h.");
            }
            return parsed;
        },
    };
}
