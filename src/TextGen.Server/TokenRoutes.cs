using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// POST /tokenize and /detokenize in llama.cpp's server shapes, which its clients (and vLLM's) use to count and cut
/// prompts: the same tokenizer and normalisation as the prompts of completions, so the counts agree with their usage.
/// </summary>
internal static class TokenRoutes
{
    /// <summary>{"content": "text", "with_pieces": false} → {"tokens": [ids]}, or with pieces {"tokens": [{"id", "piece"}]}.</summary>
    public static TokenizeRequest ParseTokenize(JsonElement body)
    {
        CompletionRequest.RequireObject(body);
        if (!body.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
        {
            throw CompletionRequest.Invalid("content", "is required: the text to tokenize, as a string");
        }
        _ = CompletionRequest.Boolean(body, "add_special"); // llama.cpp's; these models have no special tokens to add
        return new TokenizeRequest(content.GetString()!, CompletionRequest.Boolean(body, "with_pieces") ?? false);
    }

    /// <summary>{"tokens": [ids]} → {"content": "text"}; every id must be one of the model's.</summary>
    public static int[] ParseDetokenize(JsonElement body, int vocabulary)
    {
        CompletionRequest.RequireObject(body);
        if (!body.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
        {
            throw CompletionRequest.Invalid("tokens", "is required: an array of token ids");
        }
        var ids = new int[tokens.GetArrayLength()];
        var i = 0;
        foreach (var token in tokens.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Number || !token.TryGetInt32(out var id) || id < 0 || id >= vocabulary)
            {
                throw CompletionRequest.Invalid("tokens", $"must hold token ids from 0 to {vocabulary - 1}; item {i} is {Shorten(token.GetRawText())}");
            }
            ids[i++] = id;
        }
        return ids;
    }

    public static Task WriteTokenize(HttpContext http, TextGenerator generator, TokenizeRequest request)
    {
        var ids = generator.EncodePrefix(request.Content).Ids;
        var pieces = request.WithPieces ? new TokenPieces([.. ids.Select(id => new TokenPiece(id, generator.Tokenizer.TokenText(id)))]) : null;
        return pieces is not null
            ? http.Response.WriteAsJsonAsync(pieces, OpenAiJson.Default.TokenPieces, cancellationToken: http.RequestAborted)
            : http.Response.WriteAsJsonAsync(new TokenIds(ids), OpenAiJson.Default.TokenIds, cancellationToken: http.RequestAborted);
    }

    public static Task WriteDetokenize(HttpContext http, TextGenerator generator, int[] ids) =>
        http.Response.WriteAsJsonAsync(new DetokenizedText(generator.Tokenizer.Decode(ids)), OpenAiJson.Default.DetokenizedText, cancellationToken: http.RequestAborted);

    private static string Shorten(string json) => json.Length <= 24 ? json : json[..24] + "...";
}

internal sealed record TokenizeRequest(string Content, bool WithPieces);
