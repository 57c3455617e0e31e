namespace TextGen;

/// <summary>
/// A problem the user can fix: bad input, a missing file, an impossible setting.
/// The message is one line meant for the user and names the fix; callers print it without a stack trace.
/// </summary>
public class TextGenException : Exception
{
    public TextGenException(string message) : base(message) { }
    public TextGenException(string message, Exception inner) : base(message, inner) { }
}
