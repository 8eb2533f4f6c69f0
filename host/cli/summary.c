/* The model summary: a table of the layers with their parameter counts. */
#include "cli.h"

void cli_print_summary(FILE *out, const nncl_model *model)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(model, &spec);
    fprintf(out, "%-6s %20s %-12s %12s\n", "layer", "inputs -> units", "activation", "parameters");
    size_t in = spec.inputs;
    for (size_t l = 0; l < spec.n_layers; l++) {
        char shape[48];
        size_t units = spec.layers[l].units;
        snprintf(shape, sizeof shape, "%zu -> %zu", in, units);
        fprintf(out, "%-6zu %20s %-12s %12zu\n", l, shape, nncl_activation_name(spec.layers[l].activation),
                in * units + units);
        in = units;
    }
    fprintf(out, "%-6s %20s %-12s %12zu\n", "total", "", nncl_loss_name(spec.loss), nncl_model_param_count(model));
}
