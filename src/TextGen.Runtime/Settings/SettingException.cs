namespace TextGen;

/// <summary>
/// A setting out of range. The message names the setting as the library knows it ("layers 17 is out of range; use 1
/// to 16."); the CLI prints it with the flag ("--layers 17 ...") and the server with its own field names.
/// </summary>
public sealed class SettingException(string setting, string problem) : TextGenException($"{setting} {problem}")
{
    public string Setting { get; } = setting;
    public string Problem { get; } = problem;
}
