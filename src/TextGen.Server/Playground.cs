using System.Text.Json;
using System.Text.Json.Nodes;
using TextGen.Generation;
using TextGen.Persistence;

namespace TextGen.Server;

/// <summary>The page served at <c>/</c> and the model description it shows (<c>GET /textgen/model</c>).</summary>
internal static class Playground
{
    public static byte[] Page()
    {
        using var resource = typeof(Playground).Assembly.GetManifestResourceStream("TextGen.Server.Playground.index.html")
                             ?? throw new InvalidOperationException("the playground page is missing from the assembly");
        using var bytes = new MemoryStream();
        resource.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The model's summary (architecture, tokenizer, training and its curve) with the server's id and limits.</summary>
    public static string ModelJson(TextGenerator generator, string modelId, ServerOptions options)
    {
        var summary = (JsonObject)JsonSerializer.SerializeToNode(ModelSummary.Of(generator.Model), SummaryJson.Default.ModelSummary)!;
        summary["id"] = modelId;
        summary["max_tokens"] = options.MaxTokens;
        summary["max_choices"] = options.MaxChoices;
        summary["precision"] = generator.Precision.Name;
        summary["precision_reason"] = generator.Precision.Reason;
        return summary.ToJsonString();
    }
}
