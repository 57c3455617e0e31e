using System.CommandLine;
using TextGen.Embeddings;
using TextGen.Persistence;

namespace TextGen.Cli.Commands;

/// <summary>`textgen embed`: look at what a model's input embedding learned.</summary>
public static class EmbedCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var nearest = new Option<string?>("--nearest") { Description = "Print the tokens nearest to this one by cosine similarity (word-level tokens without their leading space)." };
        var query = new OptionBinder<NeighbourQuery>();
        var export = new Option<string?>("--export") { Description = "Write vectors.tsv + metadata.tsv (TensorBoard projector) and embeddings.w2v.txt (word2vec text) into this directory." };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG: 2-D PCA projection of the most frequent tokens, labelled." };
        var json = SharedOptions.Json();
        var command = new Command("embed", "Inspect and export a model's input embedding.") { model, nearest, query["k"], export, plot, json };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var token = parse.GetValue(nearest);
            var directory = parse.GetValue(export);
            var png = parse.GetValue(plot);
            if (token is null && directory is null && png is null)
            {
                throw new TextGenException("say what to do: --nearest TOKEN, --export DIR and/or --plot FILE.png.");
            }
            var loaded = TextModel.Load(SharedOptions.ResolveModel(parse.GetValue(model)));
            var table = EmbeddingTable.From(loaded);
            if (token is not null)
            {
                var neighbours = table.Nearest(token, query.Bind(parse).Count);
                if (parse.GetValue(json))
                {
                    JsonOutput.Write(output, new NearestOutput(token, [.. neighbours.Select(n => new Neighbour(n.Token, n.Cosine))]), CliJson.Default.NearestOutput);
                }
                else
                {
                    foreach (var (name, cosine) in neighbours) output.WriteLine($"{cosine,8:F4}  {name}");
                }
            }
            if (directory is not null)
            {
                EmbeddingExport.Write(table, directory);
                parse.InvocationConfiguration.Error.WriteLine($"Wrote {table.Tokens.Count} vectors of {table.Dimension} dimensions to {directory}/ " +
                                                              $"({EmbeddingExport.VectorsFile}, {EmbeddingExport.MetadataFile}, {EmbeddingExport.Word2VecFile}).");
            }
            if (png is not null)
            {
                EmbeddingPlot.Write(png, table, loaded.Metadata.TokenCounts);
                parse.InvocationConfiguration.Error.WriteLine($"Wrote {png}.");
            }
            return 0;
        });
        return command;
    }
}
