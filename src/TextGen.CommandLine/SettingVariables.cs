namespace TextGen.CommandLine;

/// <summary>The environment variables settings are read from, the way containers pass settings: TEXTGEN_MAX_TOKENS for max-tokens.</summary>
public static class SettingVariables
{
    public static string For(string setting) => "TEXTGEN_" + setting.ToUpperInvariant().Replace('-', '_');

    /// <summary>The variable's value, or null where it is unset or empty.</summary>
    public static string? Read(string setting) => Environment.GetEnvironmentVariable(For(setting)) is { Length: > 0 } text ? text : null;

    /// <summary>A problem with a variable's value, as one line that names the variable and the fix.</summary>
    public static TextGenException Problem(string setting, string shownValue, string problem) =>
        new($"{For(setting)}={shownValue}: {problem.TrimEnd('.')}; fix or unset the variable.");
}
