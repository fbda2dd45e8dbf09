namespace ArenaGrad.Nn;

/// <summary>A forward hook (<c>register_forward_hook</c>): called after <paramref name="module"/> computed
/// <paramref name="output"/> from <paramref name="input"/> in <see cref="Module.Call"/>. Activation logging and Grad-CAM
/// keep the tensors (and may register a tensor hook on <paramref name="output"/>).</summary>
public delegate void ForwardHook(Module module, Tensor input, Tensor output);

/// <summary>A forward pre-hook (<c>register_forward_pre_hook</c>): called before <paramref name="module"/> runs in
/// <see cref="Module.Call"/>; returns a replacement input, or null to keep <paramref name="input"/>.</summary>
public delegate Tensor? ForwardPreHook(Module module, Tensor input);
