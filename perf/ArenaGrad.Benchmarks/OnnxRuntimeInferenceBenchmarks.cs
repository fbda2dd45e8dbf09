using System;
using System.IO;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace ArenaGrad.Benchmarks;

/// <summary>W1 (MLP 32-64-64-4, tanh, batch 1, no grad) through ONNX Runtime from C#, the inference peer, beside
/// ArenaGrad eager on the same weights: the model is built as <see cref="InferenceBenchmarks"/> builds it (seed 42),
/// exported with <see cref="Onnx.Save"/>, and run by an <see cref="InferenceSession"/> on one intra-op thread.</summary>
/// <remarks>ONNX Runtime is run three ways: <see cref="OrtRun"/>, the plain <c>Run</c> with the input <see cref="OrtValue"/>
/// made once (ONNX Runtime allocates the output value and the returned collection per call);
/// <see cref="OrtRunIntoPreallocatedOutput"/>, the <c>Run</c> overload that writes into an output value made once; and
/// <see cref="OrtIoBinding"/>, with input and output bound once to values over pinned arrays.</remarks>
[MemoryDiagnoser]
[MedianColumn]
public class OnnxRuntimeInferenceBenchmarks
{
    private const int InFeatures = 32, OutFeatures = 4;

    private Arena _arena = null!;
    private Mlp _model = null!;
    private Tensor _x;

    private string _modelPath = null!;
    private SessionOptions _options = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _input = null!, _output = null!;
    private OrtIoBinding _binding = null!;
    private string[] _inputNames = null!, _outputNames = null!;
    private OrtValue[] _inputValues = null!, _outputValues = null!;
    private readonly float[] _inputData = new float[InFeatures];
    private readonly float[] _outputData = new float[OutFeatures];

    /// <summary>Builds W1's model, exports it to a temporary ONNX file, opens the session, binds the values, and checks
    /// that ONNX Runtime's logits equal ArenaGrad's to float tolerance (throws otherwise).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 42 });
        _model = new Mlp(_arena, [InFeatures, 64, 64, OutFeatures]);
        _x = _arena.Randn([1, InFeatures]);
        _x.AsSpanUnsafely().CopyTo(_inputData);

        _modelPath = Path.Combine(Path.GetTempPath(), $"arenagrad-w1-{Environment.ProcessId}.onnx");
        Onnx.Save(_model, _x, _modelPath);

        _options = OnnxRuntimeSetup.SingleThreadedOptions();
        _session = new InferenceSession(_modelPath, _options);
        _runOptions = new RunOptions();
        _input = OrtValue.CreateTensorValueFromMemory(_inputData, [1, InFeatures]);
        _output = OrtValue.CreateTensorValueFromMemory(_outputData, [1, OutFeatures]);
        _inputNames = [_session.InputNames[0]];
        _outputNames = [_session.OutputNames[0]];
        _inputValues = [_input];
        _outputValues = [_output];
        _binding = _session.CreateIoBinding();
        _binding.BindInput(_inputNames[0], _input);
        _binding.BindOutput(_outputNames[0], _output);

        float[] expected = new float[OutFeatures];
        using (_arena.Scope())
        using (_arena.NoGrad())
            _model.Forward(_x).AsSpanUnsafely().CopyTo(expected);
        float[] viaRun;
        using (IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_runOptions, _inputNames, _inputValues, _outputNames))
            viaRun = results[0].GetTensorDataAsSpan<float>().ToArray();
        CheckClose(viaRun, expected, "Run()");
        Array.Clear(_outputData);
        _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
        CheckClose(_outputData, expected, "Run() into a preallocated output");
        Array.Clear(_outputData);
        _session.RunWithBinding(_runOptions, _binding);
        CheckClose(_outputData, expected, "RunWithBinding()");
    }

    /// <summary>Disposes the session and its values, deletes the temporary file and frees the arena.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
        File.Delete(_modelPath);
        _arena.Dispose();
    }

    /// <summary>ArenaGrad eager, as <see cref="InferenceBenchmarks.MlpInferenceBatch1"/>: the baseline of this table.</summary>
    [Benchmark(Baseline = true)]
    public float ArenaGradEager()
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
        {
            return _model.Forward(_x).AsSpanUnsafely()[0];
        }
    }

    /// <summary>ONNX Runtime's plain <c>Run</c> on a preallocated input value: it returns a new output value each call.</summary>
    [Benchmark]
    public float OrtRun()
    {
        using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_runOptions, _inputNames, _inputValues, _outputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    /// <summary>ONNX Runtime's <c>Run</c> overload that takes the output values too: the output made once, over a pinned array.</summary>
    [Benchmark]
    public float OrtRunIntoPreallocatedOutput()
    {
        _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
        return _outputData[0];
    }

    /// <summary>ONNX Runtime with IO binding: input and output bound once to values over pinned arrays.</summary>
    [Benchmark]
    public float OrtIoBinding()
    {
        _session.RunWithBinding(_runOptions, _binding);
        return _outputData[0];
    }

    private static void CheckClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(actual[i] - expected[i]) > 1e-5f + 1e-5f * Math.Abs(expected[i]))
                throw new InvalidOperationException(
                    $"ONNX Runtime's {what} gives logit {i} = {actual[i]}, ArenaGrad gives {expected[i]}: the exported model does not match.");
    }
}
