namespace TextGen.Server;

/// <summary>A request the server refuses, with the HTTP status and the OpenAI-style error it answers with.</summary>
public sealed class RequestError(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string Type { get; } = type;

    /// <summary>OpenAI's machine-readable code, e.g. invalid_api_key; null for most errors.</summary>
    public string? Code { get; } = code;

    internal ErrorBody Body => new(new ErrorDetail(Message, Type, Param, Code));
}
