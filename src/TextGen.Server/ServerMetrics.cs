using System.Diagnostics.Metrics;
using System.Globalization;
using Prometheus;

namespace TextGen.Server;

/// <summary>
/// The server's measurements, each recorded twice from here: as .NET meters (meter "TextGen.Server", which
/// `dotnet-counters monitor --counters TextGen.Server` reads) and as prometheus-net collectors, published at /metrics in
/// Prometheus' text format. prometheus-net's own bridge from meters would publish counters as gauges and forget idle
/// series, so the Prometheus side is native. Each server has its own meter and registry, so two servers in one process
/// count apart.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "TextGen.Server";

    private static readonly double[] FirstTokenBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] TokensPerSecondBuckets = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requestsMeter;
    private readonly Counter<long> _promptTokensMeter;
    private readonly Counter<long> _generatedTokensMeter;
    private readonly Histogram<double> _firstTokenMeter;
    private readonly Histogram<double> _tokensPerSecondMeter;

    private readonly Prometheus.Counter _requests;
    private readonly Prometheus.Counter _promptTokens;
    private readonly Prometheus.Counter _generatedTokens;
    private readonly Prometheus.Histogram _firstToken;
    private readonly Prometheus.Histogram _tokensPerSecond;

    public ServerMetrics(ConcurrencyGate gate)
    {
        _requestsMeter = _meter.CreateCounter<long>("textgen.requests", description: "HTTP requests answered, by route and status.");
        _promptTokensMeter = _meter.CreateCounter<long>("textgen.prompt_tokens", description: "Prompt tokens read by generation requests.");
        _generatedTokensMeter = _meter.CreateCounter<long>("textgen.generated_tokens", description: "Tokens generated.");
        _firstTokenMeter = _meter.CreateHistogram<double>("textgen.time_to_first_token", unit: "s", description: "Seconds from a generation request's arrival to its first token.");
        _tokensPerSecondMeter = _meter.CreateHistogram<double>("textgen.tokens_per_second", description: "Tokens per second of each generation request after its first token.");
        _meter.CreateObservableGauge("textgen.queue_length", () => gate.Waiting, description: "Generation requests waiting for a slot.");
        _meter.CreateObservableGauge("textgen.slots_busy", () => gate.Busy, description: "Generation slots in use.");

        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("textgen_requests_total", "HTTP requests answered, by route pattern and status.", "route", "status");
        _promptTokens = factory.CreateCounter("textgen_prompt_tokens_total", "Prompt tokens read by generation requests.");
        _generatedTokens = factory.CreateCounter("textgen_generated_tokens_total", "Tokens generated.");
        _firstToken = factory.CreateHistogram("textgen_time_to_first_token_seconds", "Seconds from a generation request's arrival to its first token.",
            new HistogramConfiguration { Buckets = FirstTokenBuckets });
        _tokensPerSecond = factory.CreateHistogram("textgen_tokens_per_second", "Tokens per second of each generation request after its first token.",
            new HistogramConfiguration { Buckets = TokensPerSecondBuckets });
        var queue = factory.CreateGauge("textgen_queue_length", "Generation requests waiting for a slot.");
        var busy = factory.CreateGauge("textgen_slots_busy", "Generation slots in use.");
        factory.CreateGauge("textgen_slots", "Generation slots (--max-concurrency).").Set(gate.Slots);
        Registry.AddBeforeCollectCallback(() =>
        {
            queue.Set(gate.Waiting);
            busy.Set(gate.Busy);
        });
    }

    /// <summary>What /metrics publishes.</summary>
    public CollectorRegistry Registry { get; }

    public void Request(string route, int status)
    {
        var code = status.ToString(CultureInfo.InvariantCulture);
        _requests.WithLabels(route, code).Inc();
        _requestsMeter.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", code));
    }

    /// <summary>A generation request's tokens and timings, once it has ended.</summary>
    public void Generation(RequestRecord record)
    {
        _promptTokens.Inc(record.PromptTokens);
        _promptTokensMeter.Add(record.PromptTokens);
        _generatedTokens.Inc(record.CompletionTokens);
        _generatedTokensMeter.Add(record.CompletionTokens);
        if (record.FirstToken is { } first)
        {
            _firstToken.Observe(first.TotalSeconds);
            _firstTokenMeter.Record(first.TotalSeconds);
        }
        if (record.TokensPerSecond is { } rate)
        {
            _tokensPerSecond.Observe(rate);
            _tokensPerSecondMeter.Record(rate);
        }
    }

    public void Dispose() => _meter.Dispose();
}
