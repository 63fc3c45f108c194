{% macro dse_backfill_terms() %}
    {#-
        GENERATED: do not edit. Written by sql_terms_macro() in
        dse_indicators/reference/backfill_sliding.py from exact_terms, which proves
        each key's weights in rational arithmetic (docs/backfill-keys.md); a test holds
        this file to it (regenerate: DSE_UPDATE_GOLDEN=1 pytest
        tests/python/test_backfill_reference.py).
        sums: the distinct sliding sums E(base, first_lag, last_lag) with `leaving`,
        the factor of the close that leaves; keys: per key its terms (coefficient,
        index of the sum).
    -#}
    {{ return({
        'sums': [
            {'base': '0.5', 'first_lag': 0, 'last_lag': 196, 'leaving': '4.9784122222889134e-60'},
            {'base': '1.0', 'first_lag': 197, 'last_lag': 199, 'leaving': '1.0'},
            {'base': '0.9047619047619048', 'first_lag': 0, 'last_lag': 179, 'leaving': '1.5002896713472476e-08'},
            {'base': '1.0', 'first_lag': 180, 'last_lag': 199, 'leaving': '1.0'},
            {'base': '0.9607843137254902', 'first_lag': 0, 'last_lag': 149, 'leaving': '0.002476769492238556'},
            {'base': '1.0', 'first_lag': 150, 'last_lag': 199, 'leaving': '1.0'},
            {'base': '0.8461538461538461', 'first_lag': 0, 'last_lag': 173, 'leaving': '2.3778470502065897e-13'},
            {'base': '0.9259259259259259', 'first_lag': 0, 'last_lag': 173, 'leaving': '1.528503879229696e-06'},
            {'base': '0.8461538461538461', 'first_lag': 174, 'last_lag': 187, 'leaving': '0.09644743006091766'},
            {'base': '1.0', 'first_lag': 174, 'last_lag': 187, 'leaving': '1.0'},
            {'base': '1.0', 'first_lag': 188, 'last_lag': 199, 'leaving': '1.0'},
            {'base': '0.8', 'first_lag': 0, 'last_lag': 165, 'leaving': '8.18347651974043e-17'},
            {'base': '0.8461538461538461', 'first_lag': 0, 'last_lag': 165, 'leaving': '9.048763828417003e-13'},
            {'base': '0.9259259259259259', 'first_lag': 0, 'last_lag': 165, 'leaving': '2.8291540065992925e-06'},
            {'base': '0.8461538461538461', 'first_lag': 166, 'last_lag': 173, 'leaving': '0.2627814246559435'},
            {'base': '0.9259259259259259', 'first_lag': 166, 'last_lag': 173, 'leaving': '0.540268884501976'},
        ],
        'keys': {
            'EMA_3': [
                ('0.5', 0),
                ('1.659470740762971e-60', 1),
            ],
            'EMA_20': [
                ('0.09523809523809523', 2),
                ('7.501448356736231e-10', 3),
            ],
            'EMA_50': [
                ('0.0392156862745098', 4),
                ('4.95353898447709e-05', 5),
            ],
            'MACD_line': [
                ('0.15384615384615385', 6),
                ('-0.07407407407407407', 7),
                ('3.6582262310870674e-14', 8),
                ('-5.8788610739603645e-08', 9),
                ('-5.878860882846e-08', 10),
            ],
            'MACD_signal': [
                ('-0.4392156862745098', 11),
                ('0.5641025641025641', 12),
                ('-0.10893246187363835', 13),
                ('5.103892306891634e-13', 14),
                ('-3.0818671094119473e-07', 15),
                ('1.34129901921238e-13', 8),
                ('-8.645383932280526e-08', 9),
                ('-8.645383231554291e-08', 10),
            ],
        },
    }) }}
{% endmacro %}
