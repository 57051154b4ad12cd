"""Hardware in the loop: the MQTT protocol and its transport, the bridge, the field-node agent and the broker.

Needs the ``hil`` extra (aiomqtt, cryptography, gpiozero; amqtt for the embedded broker).
"""
