using System.CommandLine;
using System.CommandLine.Parsing;
using TextGen.Persistence;

namespace TextGen.Cli;

/// <summary>Options shared by several commands.</summary>
public static class SharedOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object on stdout instead of text." };

    /// <summary>--precision fp32|int8: how sample and serve compute the network's products.</summary>
    public static Option<string> Precision() => new("--precision")
    {
        Description = "Generation arithmetic: fp32 (the reference) or int8 (per-row int8 weights on AVX-VNNI CPUs; about 2.6x the tokens/s of one stream, docs/runtime.md).",
        DefaultValueFactory = _ => "fp32",
    };

    public static Inference.GenerationPrecision ParsePrecision(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => Inference.GenerationPrecision.Float32,
        "int8" => Inference.GenerationPrecision.Int8,
        _ => throw new SettingException("precision", $"{text} is not a precision; use fp32 or int8."),
    };

    public static Option<int?> Seed() => new("--seed") { Description = "Seed for repeatable results." };

    public static Option<string?> Model() => new("--model", "-m") { Description = "Model file (.tgm). Default: the newest in models/." };

    public static string ResolveModel(string? path) => path ?? ModelDirectory.Newest("models");

    /// <summary>The flag of a setting: "--name", or "-n" for a one-letter name.</summary>
    public static string Flag(string setting) => setting.Length == 1 ? "-" + setting : "--" + setting;

    /// <summary>The option for <paramref name="setting"/>: its flag, description, default and range check.</summary>
    public static Option<T> From<T>(Setting<T> setting, string? alias = null) where T : struct, IComparable<T>
    {
        var option = alias is null ? new Option<T>(Flag(setting.Name)) : new Option<T>(Flag(setting.Name), alias);
        option.Description = setting.Description;
        option.DefaultValueFactory = _ => setting.Default;
        option.Validators.Add(result =>
        {
            if (Converts<T>(result)) Check(result, setting, result.GetValueOrDefault<T>());
        });
        return option;
    }

    /// <summary>
    /// Like <see cref="From{T}"/> for a setting whose default depends on other settings (the level, the budget): null
    /// when the user did not give it, and the library picks.
    /// </summary>
    public static Option<T?> FromOptional<T>(Setting<T> setting) where T : struct, IComparable<T>
    {
        var option = new Option<T?>(Flag(setting.Name)) { Description = setting.Description };
        option.Validators.Add(result =>
        {
            if (Converts<T>(result) && result.GetValueOrDefault<T?>() is { } value) Check(result, setting, value);
        });
        return option;
    }

    /// <summary>False when the parser could not convert the value: it reports that itself.</summary>
    private static bool Converts<T>(OptionResult result) => result.Tokens.Count != 1 || TryConvert<T>(result.Tokens[0].Value);

    private static void Check<T>(OptionResult result, Setting<T> setting, T value) where T : struct, IComparable<T>
    {
        if (!setting.Accepts(value))
        {
            result.AddError($"{Flag(setting.Name)} {setting.Problem(value)}");
        }
    }

    private static bool TryConvert<T>(string text) => TryConvert(text, typeof(T));

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
